// The API server's own answer to "may this subject do that": a SubjectAccessReview, posted as admin.

import { readFileSync } from "node:fs";
import { request } from "node:https";
import type { Who } from "./rbac-cases.js";

export interface SarQuestion {
  who: Who;
  namespace: string;
  name: string;
  /** `deployments/<group>`'s subresource, or undefined for `deployments` itself. */
  subresource: string | undefined;
}

export class SarClient {
  private readonly ca: Buffer;

  constructor(
    private readonly server: string,
    caFile: string,
    private readonly adminToken: string,
  ) {
    this.ca = readFileSync(caFile);
  }

  async allowed(question: SarQuestion): Promise<boolean> {
    const body = JSON.stringify({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: question.who.username,
        groups: question.who.groups,
        resourceAttributes: {
          group: "driftguard.io",
          resource: "deployments",
          verb: "override",
          namespace: question.namespace,
          name: question.name,
          ...(question.subresource === undefined ? {} : { subresource: question.subresource }),
        },
      },
    });
    const response = await this.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", body);
    const parsed = JSON.parse(response) as { status?: { allowed?: boolean } };
    return parsed.status?.allowed === true;
  }

  private post(path: string, body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.server}${path}`,
        {
          method: "POST",
          ca: this.ca,
          headers: {
            authorization: `Bearer ${this.adminToken}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            (res.statusCode ?? 0) < 300
              ? resolve(text)
              : reject(new Error(`SAR: HTTP ${res.statusCode}: ${text}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
}
