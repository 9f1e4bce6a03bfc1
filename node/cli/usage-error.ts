import { NodeError } from "../errors.js";

/** A bad command-line value (exit code 2); `code` names a more precise reason (e.g. UNKNOWN_MODEL) than USAGE. */
export class UsageError extends NodeError {
  constructor(message: string, code = "USAGE") {
    super(code, message);
  }
}
