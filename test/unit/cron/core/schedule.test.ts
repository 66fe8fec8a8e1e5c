import { describe, expect, it } from "vitest";
import { checkSchedule, checkTimeZone } from "../../../../src/cron/core/schedule.js";

describe("checkSchedule", () => {
  it.each([
    ["*/10 * * * *", "*/10 * * * *"],
    ["0 3 * * *", "0 3 * * *"],
    ["0-59/15 0,12 1-31 * *", "0-59/15 0,12 1-31 * *"],
    ["5/15 * * * *", "5/15 * * * *"],
    ["0 9 * jan-mar,DEC mon-fri", "0 9 * jan-mar,DEC mon-fri"],
    ["0 9 ? * SUN", "0 9 ? * SUN"],
    ["30 2 1 */3 0", "30 2 1 */3 0"],
    ["*/61 * * * *", "*/61 * * * *"],
    ["*/9223372036854775807 * * * *", "*/9223372036854775807 * * * *"],
    ["07 +3 * * 6", "07 +3 * * 6"],
    ["  0   3 * *\t*  ", "0 3 * * *"],
    ["@hourly", "@hourly"],
    ["@daily", "@daily"],
    ["@midnight", "@midnight"],
    ["@weekly", "@weekly"],
    ["@monthly", "@monthly"],
    ["@yearly", "@yearly"],
    ["@annually", "@annually"],
    // A day of the month some chosen month has; with a day of the week too, either may match.
    ["0 3 29 2 *", "0 3 29 2 *"],
    ["0 3 31 1-2 *", "0 3 31 1-2 *"],
    ["0 3 30 2 mon", "0 3 30 2 mon"],
  ])("accepts %j", (input, normalized) => {
    expect(checkSchedule(input)).toEqual({ ok: true, value: normalized });
  });

  it.each([
    ["", "the schedule is empty; want 5 fields such as */10 * * * *"],
    ["   ", "the schedule is empty; want 5 fields such as */10 * * * *"],
    ["* * * *", "want 5 fields (minute hour day-of-month month day-of-week), got 4"],
    [
      "0 */10 * * * *",
      "want 5 fields (minute hour day-of-month month day-of-week), got 6 (a seconds field is not supported)",
    ],
    ["60 * * * *", 'minute field "60": 60 is above the maximum 59 (minute is 0-59)'],
    ["* 24 * * *", 'hour field "24": 24 is above the maximum 23 (hour is 0-23)'],
    ["* * 0 * *", 'day-of-month field "0": 0 is below the minimum 1 (day-of-month is 1-31)'],
    ["* * 32 * *", 'day-of-month field "32": 32 is above the maximum 31 (day-of-month is 1-31)'],
    ["* * * 13 *", 'month field "13": 13 is above the maximum 12 (month is 1-12 or jan-dec)'],
    [
      "* * * * 7",
      'day-of-week field "7": 7 is above the maximum 6 (day-of-week is 0-6 or sun-sat, 0 is Sunday)',
    ],
    [
      "* * * foo *",
      'month field "foo": "foo" is neither a number nor a month name (month is 1-12 or jan-dec)',
    ],
    [
      "* * * * monday",
      'day-of-week field "monday": "monday" is neither a number nor a day name (day-of-week is 0-6 or sun-sat, 0 is Sunday)',
    ],
    ["mon * * * *", 'minute field "mon": "mon" is not a number (minute is 0-59)'],
    ["30-10 * * * *", 'minute field "30-10": the range 30-10 runs backwards (minute is 0-59)'],
    ["*/0 * * * *", 'minute field "*/0": a step must be at least 1 (minute is 0-59)'],
    [
      "0/9223372036854775808 * * * *",
      'minute field "0/9223372036854775808": step "9223372036854775808" is out of range (minute is 0-59)',
    ],
    ["*/x * * * *", 'minute field "*/x": step "x" is not a number (minute is 0-59)'],
    ["1/2/3 * * * *", 'minute field "1/2/3": too many "/" in "1/2/3" (minute is 0-59)'],
    ["1-2-3 * * * *", 'minute field "1-2-3": too many "-" in "1-2-3" (minute is 0-59)'],
    ["-1 * * * *", 'minute field "-1": "-1": negative numbers are not allowed (minute is 0-59)'],
    ["5- * * * *", 'minute field "5-": "5-" is missing a number (minute is 0-59)'],
    ["1,,2 * * * *", 'minute field "1,,2": empty item in the list (minute is 0-59)'],
    ["70/5 * * * *", 'minute field "70/5": 70 is above the maximum 59 (minute is 0-59)'],
    ["@every 5m", '"@every" is not a CronJob schedule'],
    ["@Hourly", 'unknown macro "@Hourly"; Kubernetes accepts @yearly, @annually, @monthly, @weekly, @daily'],
    ["@reboot", 'unknown macro "@reboot"'],
  ])("refuses %j, naming the bad part", (input, message) => {
    const result = checkSchedule(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
  });

  it.each([
    ["0 3 30 2 *", "30", "2"],
    ["0 3 31 4,6,9,11 ?", "31", "4,6,9,11"],
    ["0 0 30-31 feb *", "30-31", "feb"],
    // Any day of the week as robfig/cron reads it: a step of 1 keeps it any day.
    ["0 3 30 2 */1", "30", "2"],
    ["0 0 31 4,6,9,11 ?/1", "31", "4,6,9,11"],
  ])(
    "refuses %j, which never comes (the server takes it, and its CronJob never runs)",
    (input, day, month) => {
      expect(checkSchedule(input)).toEqual({
        ok: false,
        message: `day-of-month "${day}" never comes in month "${month}": the CronJob would never run`,
      });
    },
  );

  it.each([
    ["TZ=Europe/Berlin 0 3 * * *", "--time-zone Europe/Berlin"],
    ["CRON_TZ=UTC */5 * * * *", "--time-zone UTC"],
    ["TZ= 0 3 * * *", "--time-zone <IANA name>"],
    ["0 3 * * * TZ", "--time-zone <IANA name>"],
  ])("refuses %j with a hint to %s", (input, hint) => {
    const result = checkSchedule(input);
    expect(result).toEqual({
      ok: false,
      message: `TZ= and CRON_TZ= are not allowed in a CronJob schedule (Kubernetes refuses them since 1.29); put the zone in ${hint} and leave it out of --schedule`,
    });
  });
});

describe("checkTimeZone", () => {
  it.each([
    "UTC",
    "Europe/Berlin",
    "America/Argentina/Buenos_Aires",
    "Etc/GMT+5",
    "Asia/Kolkata",
    "US/Eastern",
    "NZ-CHAT",
    "EST5EDT",
    "EST",
    "Japan",
    "America/Coral_Harbour",
  ])("accepts %s", (zone) => {
    expect(checkTimeZone(zone)).toEqual({ ok: true, value: zone });
  });

  it.each([
    ["", "the time zone is empty"],
    ["Local", '"Local" is not allowed; name an IANA time zone'],
    ["local", '"local" is not allowed'],
    ["Europe/Pariss", 'unknown time zone "Europe/Pariss"'],
    ["europe/berlin", 'did you mean "Europe/Berlin"? (names are case-sensitive)'],
    // Aliases Intl resolves to another name: still the wrong case for the server.
    ["us/eastern", 'did you mean "US/Eastern"? (names are case-sensitive)'],
    ["etc/utc", 'did you mean "Etc/UTC"? (names are case-sensitive)'],
    // One letter off in an alias, which Intl resolves to another name and so could not tell (review 166).
    ["Us/Pacific", 'did you mean "US/Pacific"? (names are case-sensitive)'],
    ["Etc/UTc", 'did you mean "Etc/UTC"? (names are case-sensitive)'],
    ["America/Argentina/Buenos_aires", 'did you mean "America/Argentina/Buenos_Aires"?'],
    ["Africa/ASmara", 'did you mean "Africa/Asmara"?'],
    // Upper-case aliases: Intl resolves them to another name, the server knows none of them.
    ["ASIA/KOLKATA", "(names are case-sensitive)"],
    ["US/PACIFIC", "(names are case-sensitive)"],
    ["AMERICA/NUUK", "(names are case-sensitive)"],
    ["+01:00", '"+01:00" is not an IANA time zone name'],
    ["+01", '"+01" is not an IANA time zone name'],
    ["-0500", '"-0500" is not an IANA time zone name'],
    ["../etc/passwd", '"../etc/passwd" is not an IANA time zone name'],
    ["Europe//Berlin", '"Europe//Berlin" is not an IANA time zone name'],
    ["America/VeryLongCityNameX", "is not an IANA time zone name"],
    // Names ICU knows and the server's Go refuses: Java's three-letter IDs, and what tzdata dropped.
    ["PST", 'unknown time zone "PST"'],
    ["IST", 'unknown time zone "IST"'],
    ["BST", 'unknown time zone "BST"'],
    ["SystemV/EST5", 'unknown time zone "SystemV/EST5"; want an IANA name'],
    ["systemv/pst8", 'unknown time zone "systemv/pst8"; want an IANA name'],
    ["US/Pacific-New", 'unknown time zone "US/Pacific-New"'],
  ])("refuses %j", (zone, message) => {
    const result = checkTimeZone(zone);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
  });
});
