import { NodeError } from "../errors.js";

/** A bad command-line value (exit code 2). */
export class UsageError extends NodeError {
  constructor(message: string) {
    super("USAGE", message);
  }
}
