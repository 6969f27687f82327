// as-pect unit specs for the pure layers (http/, policy/, store/, config). They import no host
// functions; the stubs below only keep instantiation working if a spec pulls one in.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const unused = () => { throw new Error("host function called from a unit spec"); };
    const httpHandler = new Proxy({}, { get: () => unused });
    return instantiate(binary, createImports({
      env: { memory },
      http_handler: httpHandler,
      wasi_snapshot_preview1: { clock_time_get: unused },
    }));
  },
  outputBinary: false,
};
