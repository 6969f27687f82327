// The guest's exports: handle_request, handle_response (and memory, _start from the compiler).
// host/abort replaces AssemblyScript's env imports (wired in by `use` in asconfig.json).
import "./host/abort";
import { handleRequest, handleResponse } from "./plugin";

// AssemblyScript keeps GC roots on a shadow stack in linear memory. A trap (which the host
// survives, and then reuses the instance) skips the epilogues that give that stack back, so
// each trap would leak a few frames until the stack overflows. Every request starts it afresh.
// These two functions hold no managed locals, so they have no frame of their own.
const STACK_TOP: usize = __stack_pointer;

export function handle_request(): u64 {
  __stack_pointer = STACK_TOP;
  return handleRequest();
}

export function handle_response(reqCtx: u32, isError: u32): void {
  __stack_pointer = STACK_TOP;
  handleResponse(reqCtx, isError);
}
