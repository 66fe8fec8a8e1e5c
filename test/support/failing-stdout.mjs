// Preloaded (`node --import`) into the CLI: every write to stdout fails with the error code in
// $FAILING_STDOUT_CODE, as a platform reports it (Node.js on Windows reports a pipe whose reader has closed
// as `EOF: end of file, write`, where Linux and macOS say EPIPE).
const code = process.env.FAILING_STDOUT_CODE;
process.stdout._write = (_chunk, _encoding, callback) => {
  callback(Object.assign(new Error(`${code}: failed, write`), { code, syscall: "write" }));
};
