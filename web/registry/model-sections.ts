/**
 * The model page's parts built from modelInfo: its versions (each with the files its signed
 * manifest lists), its custodians with stake and storage-challenge record, and its attestations.
 * Element ids come from `anchors`, which the history trail links to.
 */
import type { AttestationView, CustodianView, ModelDetails, SignedManifest, VersionInfo } from "../../sdk/index.js";
import { formatBytes, formatTime, formatWei, shortAddress } from "../ui/format.js";
import { h, type Child } from "../ui/h.js";
import { jumpLink } from "../ui/jump.js";
import { table } from "../ui/table.js";
import { anchors, joined } from "./history.js";

/** Reads a version's signed manifest (checked by the SDK: CID, schema, owner's signature). */
export type ManifestReader = (manifestCid: string) => Promise<SignedManifest>;

export interface SectionOptions {
  route: string;
  /** Shows what `load` builds, with a loading line and the error banner (web/ui/deferred.ts). */
  defer: (label: string, load: () => Promise<Child>, attrs?: Record<string, string>) => HTMLElement;
  manifest: ManifestReader;
}

/** Newest version first; the current one's files load at once, older ones' when opened. */
export function versionsSection(info: ModelDetails, options: SectionOptions): HTMLElement {
  const versions = [...info.versions].reverse();
  return h("div", { class: "versions" }, versions.map((v) => versionBlock(v, v.version === info.version, options)));
}

function versionBlock(v: VersionInfo, current: boolean, options: SectionOptions): HTMLElement {
  const files = () => options.defer("Reading the manifest…", async () => filesOf(await options.manifest(v.manifestCid)), { "data-files": String(v.version) });
  const block = h(
    "details",
    { class: "version", id: anchors.version(v.version), "data-version": v.version, open: current },
    h("summary", {}, h("strong", {}, `Version ${v.version}`), current ? " (current)" : "", ` — published ${formatTime(v.publishedAt)}`),
    h(
      "dl",
      { class: "facts" },
      fact("Manifest", h("a", { href: `/v1/manifests/${encodeURIComponent(v.manifestCid)}`, class: "cid" }, v.manifestCid)),
      fact("Custody", `${v.threshold} of ${v.custodians.length}: `, joined(v.custodians.map((c) => jumpLink(options.route, anchors.custodian(c), h("span", { class: "account", title: c }, shortAddress(c)))))),
      fact("Segments", `${v.segmentCount} (storage challenges ask for 4 KiB segments)`),
      fact("Weights commitment", h("code", {}, v.weightsCommitment === 0n ? "none" : String(v.weightsCommitment))),
      fact("Owner commitment", h("code", {}, v.ownerCommitment === 0n ? "none" : String(v.ownerCommitment))),
      fact("Storage root", h("code", {}, v.storageRoot)),
      v.txHash !== null && fact("Transaction", h("code", {}, v.txHash), v.publishedBlock === null ? "" : ` (block ${v.publishedBlock})`),
    ),
  );
  if (current) block.append(files());
  else block.addEventListener("toggle", function once() {
    block.removeEventListener("toggle", once);
    block.append(files());
  });
  return block;
}

/** The files a version's manifest lists: one (format 1) or a directory's (format 2). */
export function filesOf(signed: SignedManifest): HTMLElement {
  const m = signed.manifest;
  const rows = "files" in m ? m.files.map((f) => ({ path: f.path, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize, cid: f.cid.toString() })) : [{ path: m.name ?? "(one file)", plaintextSize: m.plaintextSize, sealedSize: m.sealedSize, cid: m.content.toString() }];
  return h(
    "div",
    { class: "files" },
    h("p", { class: "muted" }, `${"files" in m ? `Directory of ${m.files.length} files` : "One file"}, ${formatBytes(m.plaintextSize)} (${formatBytes(m.sealedSize)} sealed, ${formatBytes(m.segmentSize)} segments), signed by `, h("span", { class: "account", title: m.owner }, shortAddress(m.owner)), ". Tensors are inside the sealed files: listing them needs the key (open the model)."),
    table(
      [
        { title: "File", cell: (f) => h("code", {}, f.path) },
        { title: "Size", cell: (f) => formatBytes(f.plaintextSize) },
        { title: "Sealed", cell: (f) => formatBytes(f.sealedSize) },
        { title: "Content", cell: (f) => h("code", { class: "cid", title: f.cid }, shortCid(f.cid)) },
      ],
      rows,
    ),
  );
}

export function custodiansTable(custodians: readonly CustodianView[]): HTMLElement {
  if (custodians.length === 0) return h("p", { class: "empty" }, "No custodian holds a share of this model.");
  const challenge = (c: CustodianView) => {
    const r = c.challenges;
    return r.opened === 0 ? "none" : `${r.opened} opened: ${r.answered} answered, ${r.missed} missed (${r.slashed} slashed), ${r.lapsed} lapsed, ${r.open} open`;
  };
  const rows = custodians.map((c) =>
    h(
      "tr",
      { id: anchors.custodian(c.address), "data-custodian": c.address },
      h("td", {}, h("span", { class: "account", title: c.address }, shortAddress(c.address))),
      h("td", {}, c.current ? "current" : "earlier version"),
      h("td", {}, !c.registered ? "not registered" : c.active ? "active" : "inactive"),
      h("td", { "data-stake": c.stake.toString() }, formatWei(c.stake)),
      h("td", {}, c.unbonding === 0n ? "—" : formatWei(c.unbonding)),
      h("td", {}, c.endpoint === null ? "—" : h("code", {}, c.endpoint)),
      h("td", { "data-challenges": "" }, challenge(c)),
    ),
  );
  return h("table", { class: "custodians" }, h("thead", {}, h("tr", {}, ["Custodian", "Holds", "State", "Stake", "Unbonding", "Endpoint", "Storage challenges"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
}

export function attestationsTable(info: ModelDetails, route: string): HTMLElement {
  if (!info.attestationsDeployed) return h("p", { class: "empty" }, "This deployment has no ProofAttestations contract: no attestation can be recorded.");
  if (info.attestations.length === 0) return h("p", { class: "empty", "data-empty": "attestations" }, "No proof has been attested for this model yet.");
  const rows = info.attestations.map((a) =>
    h(
      "tr",
      { id: anchors.attestation(a.txHash), "data-attestation": a.kind },
      h("td", {}, kindText(a)),
      h("td", {}, a.version === null ? "—" : jumpLink(route, anchors.version(a.version), `version ${a.version}`)),
      h("td", {}, a.account === null ? "—" : h("span", { class: "account", title: a.account }, shortAddress(a.account))),
      h("td", {}, variantOf(a)),
      h("td", { title: a.txHash }, String(a.blockNumber)),
    ),
  );
  return h("table", { class: "attestations" }, h("thead", {}, h("tr", {}, ["Kind", "Version", "By", "Details", "Block"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
}

const KIND_TEXT: Record<AttestationView["kind"], string> = {
  ownership: "Ownership proof",
  inference: "Inference proof",
  inferenceVerifier: "Inference verifier set",
  wellFormed: "Well-formedness proof",
  wellFormedVerifier: "Well-formedness verifier set",
};

function kindText(a: AttestationView): string {
  return KIND_TEXT[a.kind] ?? a.kind;
}

/** What distinguishes one attestation of its kind: its reveal variant (inference), its nonce, signals or verifier. */
function variantOf(a: AttestationView): string {
  const args = a.args;
  const parts: string[] = [];
  if (a.reveal !== null) parts.push(`${a.reveal} output`);
  if (a.kind === "ownership" && args.nonce !== undefined) parts.push(`nonce ${shortNumber(String(args.nonce))}`);
  if (a.kind === "inference" && Array.isArray(args.pubSignals)) parts.push(`${args.pubSignals.length} public signals`);
  if (a.kind === "inferenceVerifier") parts.push(`verifier ${shortAddress(String(args.verifier))}, ${String(args.signals)} signals`);
  if (a.kind === "wellFormedVerifier") parts.push(`verifier ${shortAddress(String(args.verifier))}`);
  return parts.join("; ") || "—";
}

function fact(term: string, ...value: Child[]): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

const shortCid = (cid: string) => (cid.length > 20 ? `${cid.slice(0, 12)}…${cid.slice(-6)}` : cid);
const shortNumber = (text: string) => (text.length > 16 ? `${text.slice(0, 8)}…${text.slice(-6)}` : text);
