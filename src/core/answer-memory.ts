// A short memory of this replica's recent allowances with drift, per Deployment, so that the scan's
// DriftDetected can tell drift an answer explains (warned: already said; exempted: name who and the
// grant) from drift nobody's answer explains. Bounded in objects and answers, and time-limited: an
// answer older than the window explains nothing, the scan sees a write within seconds.
import type { AdmissionAnswer } from "./drift-events.js";
import type { ObjectKey } from "./types.js";

export interface AnswerMemoryOptions {
  windowMs: number;
  /** Deployments remembered at most; the least recently answered go first. */
  maxObjects: number;
  now: () => number;
}

/** Answers kept per object: a loop of edits needs only its latest few. */
const PER_OBJECT = 8;

export class AnswerMemory {
  readonly #answers = new Map<string, AdmissionAnswer[]>();

  constructor(private readonly options: AnswerMemoryOptions) {}

  remember(answer: AdmissionAnswer): void {
    const id = idOf(answer.key);
    const kept = this.#fresh(this.#answers.get(id) ?? []);
    // Delete first: a Map keeps insertion order, so the first key is the least recently answered.
    this.#answers.delete(id);
    this.#answers.set(id, [...kept, answer].slice(-PER_OBJECT));
    for (const oldest of this.#answers.keys()) {
      if (this.#answers.size <= this.options.maxObjects) break;
      this.#answers.delete(oldest);
    }
  }

  /**
   * The object's answers within the window, oldest first. A uid tells a Deployment from a new one of
   * the same name; an answer without one (a CREATE) matches by name.
   */
  answersFor(key: ObjectKey, uid: string | undefined): AdmissionAnswer[] {
    const kept = this.#fresh(this.#answers.get(idOf(key)) ?? []);
    return kept.filter((answer) => answer.uid === undefined || uid === undefined || answer.uid === uid);
  }

  get size(): number {
    return this.#answers.size;
  }

  #fresh(answers: readonly AdmissionAnswer[]): AdmissionAnswer[] {
    const cutoff = this.options.now() - this.options.windowMs;
    return answers.filter((answer) => answer.at >= cutoff);
  }
}

function idOf(key: ObjectKey): string {
  return `${key.namespace}/${key.name}`;
}
