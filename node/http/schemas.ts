/** zod schemas of the API's inputs (path params and query strings arrive as strings). */
import { CID } from "multiformats/cid";
import { isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { MAX_SEGMENT_SIZE } from "../../crypto/index.js";
import { ApiError } from "./errors.js";

/** Strict decimal integer text, so "12abc" or "1e3" are refused rather than coerced. */
const intText = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, "must be a decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolText = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const cidParam = z.object({
  cid: z.string().transform((text, ctx) => {
    try {
      return CID.parse(text);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "not a valid CID" });
      return z.NEVER;
    }
  }),
});

/** How long a read may wait for peers without progress, and whether to ask peers at all. */
export const readQuery = z
  .object({
    timeoutMs: intText(1, 600_000).optional(),
    offline: boolText.optional(),
  })
  .strict();

export const manifestQuery = readQuery.extend({ format: z.enum(["json", "dag-json"]).optional() }).strict();

export const publishQuery = z
  .object({
    name: z.string().min(1).max(200).optional(),
    segmentSize: intText(1, MAX_SEGMENT_SIZE).optional(),
    weightsCommitment: z.string().regex(/^[0-9]{1,78}$/, "must be a decimal field element").optional(),
    custodians: z
      .string()
      .transform((text) => text.split(",").map((part) => part.trim()))
      .pipe(z.array(z.string().refine((a) => isAddress(a), "must be comma-separated addresses")).max(64))
      .transform((list) => list as Address[])
      .optional(),
    threshold: intText(0, 255).optional(),
    version: intText(1, 2 ** 32).optional(),
    /** Deposit the key's shares with the custodians and register the model on chain. */
    register: boolText.optional(),
    /** A wallet-owned publish: the node seals, this address signs (a publish session, docs/API.md). */
    owner: z.string().refine((a) => isAddress(a), "must be an address").transform((a) => a as Address).optional(),
    /** Publish as the next version of this registered model (rotation): shares and chain too. */
    rotate: z.string().regex(/^[1-9][0-9]{0,76}$/, "must be a registered model id").transform(BigInt).optional(),
    /** Terms of a registered model: price in wei, duration in seconds, uses, stake in wei. */
    price: z.string().regex(/^[0-9]{1,39}$/, "must be wei").transform(BigInt).optional(),
    duration: intText(0, 2 ** 32 - 1).optional(),
    maxUses: intText(0, 2 ** 32 - 1).optional(),
    minStake: z.string().regex(/^[0-9]{1,29}$/, "must be wei").transform(BigInt).optional(),
    carryOver: boolText.optional(),
    /** Registering publishes: set the deployment's inference verifier of this architecture ("inference_4_16_3" or "4-16-3") for the model. */
    architecture: z.string().regex(/^(inference(_[1-9][0-9]{0,3}){2,8}|[1-9][0-9]{0,3}(-[1-9][0-9]{0,3}){1,7})$/, "must name an architecture by its layer widths, e.g. inference_4_16_3 or 4-16-3").optional(),
  })
  .strict()
  .refine((q) => !(q.register && q.rotate !== undefined), { message: "register and rotate exclude each other", path: ["rotate"] })
  .refine((q) => q.owner === undefined || q.architecture === undefined, { message: "architecture is set by the owner's node account: not with owner", path: ["architecture"] })
  .refine((q) => q.architecture === undefined || q.register === true || q.rotate !== undefined, { message: "architecture is for a registering publish (register=true or rotate=ID): the verifier is set on chain", path: ["architecture"] })
  .refine(
    (q) => {
      const n = q.custodians?.length ?? 0;
      const t = q.threshold ?? 0;
      return n === 0 ? t === 0 : t >= 1 && t <= n;
    },
    { message: "threshold must be 1..custodians (or 0 without custodians)", path: ["threshold"] },
  );

/** Parses `value` or throws a 400 VALIDATION_FAILED naming the field. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join(".");
  const message =
    issue.code === z.ZodIssueCode.unrecognized_keys
      ? `unknown ${where} parameter ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
      : `${where} parameter ${field ? JSON.stringify(field) : ""}: ${issue.message}`;
  throw new ApiError(400, field === "cid" ? "INVALID_CID" : "VALIDATION_FAILED", message);
}

/** Step 2 of a publish session: the owner's EIP-712 signature of the manifest. */
export const manifestSignatureBody = z.object({ signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature").transform((s) => s as Hex) }).strict();

/** Step 3: one signature per deposit, in the order of step 2's answer. */
export const depositSignaturesBody = z
  .object({ signatures: z.array(z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature").transform((s) => s as Hex)).min(1).max(64) })
  .strict();

export const sessionParam = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, "must be a publish session id") }).strict();
