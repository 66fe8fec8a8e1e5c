/** The names install-cron is given (--name, the Secrets its flags name), as the API server checks them. */

import { isDnsLabel, isObjectName } from "../../core/object-name.js";
import type { Checked } from "../../util/checked.js";
import { quotedValue } from "../../util/shown-value.js";

/** CronJob names leave room for the 11 characters the controller appends to Job names. */
const maxCronJobName = 52;

/** Checks --name; the message names the flag. */
export function checkName(name: string): Checked<string> {
  if (name.length === 0) return { ok: false, message: "--name must not be empty" };
  if (!isDnsLabel(name, maxCronJobName)) {
    return {
      ok: false,
      message: `invalid --name ${quotedValue(name)}: want at most ${maxCronJobName} lowercase letters, digits or "-", starting and ending with a letter or digit`,
    };
  }
  return { ok: true, value: name };
}

/**
 * Checks a flag naming a Secret (a DNS subdomain, as the API server wants it). A URL given in the name's
 * place is not quoted: it is the secret (a webhook's token, a proxy's password), not to be echoed to a log.
 */
export function checkSecretName(name: string, flag: string): Checked<string> {
  if (/[:/@]/.test(name)) {
    return {
      ok: false,
      message: `${flag} takes a Secret's name and was given a URL (not repeated here): put the URL in a Secret's key url (kubectl create secret generic NAME --from-file=url=FILE) and pass its NAME`,
    };
  }
  if (!isObjectName(name)) {
    return {
      ok: false,
      message: `invalid ${flag} ${quotedValue(name)}: want a Secret's name (at most 253 lowercase letters, digits, "-" or ".")`,
    };
  }
  return { ok: true, value: name };
}
