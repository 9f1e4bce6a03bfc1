/** The custody protocol's messages: crypto/custody-messages.ts, one implementation shared with the SDK. */
export * from "../../crypto/custody-messages.js";
