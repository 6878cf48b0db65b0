// What the e2e global setup hands to every test file (serializable: test files run in other processes).
import type { RenderedLayout } from "./rendered.js";

export interface TestbedInfo {
  /** The API server, https://127.0.0.1:<port>. */
  server: string;
  /** The CA that signed the API server's serving certificate. */
  apiCaFile: string;
  binDir: string;
  workDir: string;
  /** kubeconfig file per test user, service-account identities included. */
  kubeconfigs: Record<string, string>;
  /** The Git repository driftguard reads (a plain local repository made for the run). */
  repoDir: string;
  /** driftguard's own HTTPS base URL and the CA that signed its certificate. */
  driftguardUrl: string;
  driftguardCaFile: string;
  /** The global driftguard's web view, HTTPS with bearer tokens (its listener is beyond loopback). */
  webViewUrl: string;
  /** The API server's audit log: driftguard's own requests, and writes of Deployments by the others. */
  auditLog: string;
  /** POST /crash-apiserver?downMs=N kills kube-apiserver and starts it again (global-setup.ts). */
  controlUrl: string;
  /** Corpus layout in the Git repository, when ../shared/corpus is present. */
  corpus: CorpusLayout | undefined;
  /** Rendered corpus apps (one per render of ../shared/corpus-rendered), when it and the tools are here. */
  rendered: RenderedLayout | undefined;
  /** Why there are none; `required` under DRIFTGUARD_REQUIRE_RENDERERS=1, when a missing tool must fail. */
  renderedMissing: { reason: string; required: boolean } | undefined;
}

export interface CorpusLayout {
  /** Namespace → repository-relative files, one folder and one namespace per corpus repository. */
  namespaces: Record<string, string[]>;
  documents: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}
