// The guest's exports: handle_request, handle_response (and memory, _start from the compiler).
// host/abort replaces AssemblyScript's env imports (wired in by `use` in asconfig.json).
import "./host/abort";
export { handle_request, handle_response } from "./plugin";
