// `driftguard propose`: the change to Git that would make Git say what an AdmissionReview asked
// (docs/contract.md §11, Proposals), as git's unified diff, a versioned Proposal, or a pushed branch.

import type { Config } from "../config/types.js";
import type { AdmissionRequest } from "../core/admission.js";
import type { Desired } from "../core/desired.js";
import { subjectOf } from "../core/subject.js";
import { keyString, type ObjectKey } from "../core/types.js";
import { DriftguardError, type ErrorCode } from "../errors.js";
import { proposalFromRecord } from "../propose/from-record.js";
import { proposalFromRequest } from "../propose/from-review.js";
import { shortUid } from "../propose/kustomize-edit.js";
import { proposeChange, why } from "../propose/propose.js";
import { appRenderer } from "../propose/render-check.js";
import type { ProposalEdit, ProposalInput } from "../propose/types.js";
import { openWorkspace } from "../propose/workspace.js";
import type { Runtime } from "../runtime.js";
import { commitTree } from "../sources/commit-tree.js";
import { defaultRendering } from "../sources/git-source.js";
import { redactUrl } from "../sources/redact.js";
import { prepareRepo } from "../sources/source-setup.js";
import type { SourceConfig } from "../sources/types.js";
import { parse } from "./args.js";
import { parseInputReview } from "./check.js";
import { CliError } from "./errors.js";
import { inputName, readInput } from "./input.js";
import { createLogger } from "./logger.js";
import { findRecord } from "./record-lookup.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard propose --config FILE [REVIEW.json | - | --request UID] [--branch] [-o diff|json]

Syncs the config's Git sources once and prints the change to Git that would make Git say what the
AdmissionReview (from the file, or standard input) or the recorded request asked (--request: the uid a
denial or an audit warning names), so that a manual edit can become a Git change:
- a plain manifest: the file edited in place; only the changed fields' text moves (comments, key order,
  quoting and indentation stay);
- a Kustomize app: the overlay's own manifest edited when the object comes from it, else a new
  strategic-merge patch driftguard-<name>-<uid>-patch.yaml in the overlay, listed under \`patches:\`;
- a Helm app: a values key, only when exactly one key maps to each changed field (each candidate is
  rendered; it must change that field to the requested value and nothing else).
An app's proposal is rendered with the real kustomize or helm first: it is proposed only when the render
then holds the requested values on the changed fields and nothing else changed.

-o, --output  diff (default): git's unified diff (--- a/PATH +++ b/PATH, repository-relative);
              json: a Proposal (apiVersion driftguard.io/v1alpha1, kind Proposal: object, files
              [{path, diff}], notes, branch).
--branch      also commit the change (author driftguard; the message names the requester, the time,
              the request uid and the fields) on branch driftguard/<namespace>-<name>-<uid8>, made from
              the compared commit, and push it to the source's remote with the source's credentials.
--request UID the decision record of that request (docs/contract.md §11), read from the API server's
              DecisionRecords with --kubeconfig, else the config's kubernetes settings; or from a
              replica's store with --state-dir DIR. A record masks secret values: a field holding
              one is refused (propose from the review instead). Fields Git already holds are skipped.
-n, --namespace NS   where to look for the record (default: every namespace the credentials may list)
Secret values (env values, secret-like keys) are never logged; they do appear in the diff and the
branch, since the request that asked for them is the user's own.
Exit status: 0 proposed, 1 no proposal possible (nothing changed, a field that cannot be mapped, a Helm
value in doubt, a masked value: the reason, and for Helm each field's Git and requested values, are
printed), 2 error (bad input, the object not in Git, the push refused).`;

const OPTIONS = {
  config: { type: "string", short: "c" },
  output: { type: "string", short: "o" },
  branch: { type: "boolean" },
  request: { type: "string" },
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  "state-dir": { type: "string" },
} as const;

/** Codes that mean "there is no proposal for this request": an answer (exit 1), not an error. */
const NO_PROPOSAL: ReadonlySet<ErrorCode> = new Set([
  "DG_PROPOSE_NO_CHANGE",
  "DG_PROPOSE_UNMAPPABLE",
  "DG_PROPOSE_HELM_AMBIGUOUS",
  "DG_PROPOSE_VALUE_MASKED",
]);

export async function runPropose(args: string[]): Promise<number> {
  const parsed = parse(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const output = parsed.values.output ?? "diff";
  if (output !== "diff" && output !== "json")
    throw new CliError(`-o ${output}: must be diff or json`, "use -o diff or -o json");
  if (parsed.positionals.length > 1)
    throw new CliError("propose takes one review", "give one REVIEW.json or -");
  const uid = parsed.values.request;
  if (uid !== undefined && parsed.positionals.length > 0)
    throw new CliError(
      "propose takes a review or --request, not both",
      "give REVIEW.json, - or --request UID",
    );
  const input = parsed.positionals[0];
  const review = uid === undefined ? parseInputReview(await readInput(input), inputName(input)) : undefined;
  return withSyncedRuntime(parsed.values.config, async (runtime, config) => {
    let proposal: ProposalInput;
    let desired: Desired;
    if (review) {
      desired = desiredOf(runtime, review.request);
      proposal = proposalFromRequest(review.request, desired, config.policy.gitopsMarks);
    } else {
      const record = await findRecord(uid ?? "", parsed.values, config.kubernetes);
      desired = desiredOfKey(runtime, { namespace: record.object.namespace, name: record.object.name });
      proposal = proposalFromRecord(record, desired);
    }
    try {
      const result = await propose(proposal, desired, config, parsed.values.branch === true);
      process.stdout.write(output === "json" ? `${JSON.stringify(result.json, null, 2)}\n` : result.diff);
      if (output === "diff")
        for (const note of result.json.notes) process.stderr.write(`driftguard: ${note}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof DriftguardError) || !NO_PROPOSAL.has(error.code)) throw error;
      const json = {
        ...proposalHeader(proposal),
        files: [],
        notes: [],
        refused: { code: error.code, message: error.message },
      };
      process.stdout.write(
        output === "json"
          ? `${JSON.stringify(json, null, 2)}\n`
          : `no proposal (${error.code}): ${error.message}\n`,
      );
      if (error.hint !== undefined && output === "diff") process.stdout.write(`  ${error.hint}\n`);
      return 1;
    }
  });
}

function desiredOf(runtime: Runtime, request: AdmissionRequest): Desired {
  const subject = subjectOf(request);
  if (typeof subject === "string")
    throw new DriftguardError("DG_PROPOSE_NO_MANIFEST", `the review is not about a Deployment (${subject})`);
  return desiredOfKey(runtime, subject.key);
}

function desiredOfKey(runtime: Runtime, key: ObjectKey): Desired {
  const subject = { key };
  const lookup = runtime.state.lookup(subject.key);
  if (lookup.kind === "managed") return lookup.desired;
  const why =
    lookup.kind === "unmanaged"
      ? "no Git source holds a manifest of it"
      : lookup.kind === "conflict"
        ? `manifests in Git disagree (${lookup.origins.map((o) => `${o.source}:${o.file}`).join(", ")})`
        : lookup.reason;
  throw new DriftguardError(
    "DG_PROPOSE_NO_MANIFEST",
    `no desired manifest for ${keyString(subject.key)}: ${why}`,
    {
      where: keyString(subject.key),
    },
  );
}

async function propose(input: ProposalInput, desired: Desired, config: Config, branch: boolean) {
  const source = config.sources.find((candidate) => candidate.name === input.origin.source) as SourceConfig;
  const logger = createLogger("warn");
  const { repo, env } = await prepareRepo(source, {
    stateDir: config.stateDir,
    revisions: config.revisions,
    logger,
  });
  const tree = commitTree(repo.dir, env, await repo.listTree(input.origin.commit));
  let edit: ProposalEdit;
  try {
    const render = appRenderer(defaultRendering(config.renderers), config.policy, input.key, input.origin);
    edit = await proposeChange(input, { source, desired, tree, render });
  } finally {
    tree.close();
  }
  const workspace = await openWorkspace(repo.dir, input.origin.commit, env);
  try {
    const files = await workspace.write(edit.files);
    const json: Record<string, unknown> & { notes: string[] } = {
      ...proposalHeader(input),
      files,
      notes: edit.notes,
    };
    if (branch) {
      const name = branchName(input);
      const commit = await workspace.commitAndPush(name, commitMessage(input), source.url);
      json.branch = { name, commit, remote: redactUrl(source.url), from: input.origin.commit };
      json.notes.push(`pushed branch ${name} to ${redactUrl(source.url)}`);
    }
    return { json, diff: files.map((file) => file.diff).join("") };
  } finally {
    await workspace.close();
  }
}

function proposalHeader(input: ProposalInput) {
  return {
    apiVersion: "driftguard.io/v1alpha1",
    kind: "Proposal",
    object: { namespace: input.key.namespace, name: input.key.name },
    request: { uid: input.uid, username: input.requester.username },
    origin: input.origin,
    fields: input.drifts.map((drift) => drift.path),
  };
}

export function branchName(input: ProposalInput): string {
  return `driftguard/${input.key.namespace}-${input.key.name}-${shortUid(input.uid)}`;
}

export function commitMessage(input: ProposalInput): string {
  const groups = input.requester.groups.length > 0 ? ` (groups ${input.requester.groups.join(", ")})` : "";
  return [
    `driftguard: ${keyString(input.key)} as ${input.requester.username} asked`,
    "",
    `Requested by ${input.requester.username}${groups}${input.at === undefined ? "" : ` at ${input.at}`}.`,
    `Proposed by driftguard propose at ${new Date().toISOString()}, so that Git says what the request asked.`,
    `Why: ${why(input)}.`,
    `Request uid: ${input.uid}`,
    `Compared with ${input.origin.source} at ${input.origin.commit}, ${input.origin.file}.`,
    "",
    "Fields:",
    ...input.drifts.map((drift) => `- ${drift.path} (${drift.change})`),
    "",
  ].join("\n");
}
