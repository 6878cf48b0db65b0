// The serving pair as the HTTPS server reads it: server.tlsCertFile and tlsKeyFile, which its TLS
// reloader polls. Each file is written under a temporary name and renamed into place, so the reloader
// never reads half a file; the key goes first, so that at worst it sees a new key with the old
// certificate for one poll (a mismatch it skips) rather than a new certificate with the old key.
import { readFile, rename, writeFile } from "node:fs/promises";

export interface ServingPair {
  cert: string;
  key: string;
}

export interface ServingFiles {
  /** For the logs. */
  readonly certFile: string;
  /** Writes the pair unless the files hold it already; true when it wrote. */
  write(pair: ServingPair): Promise<boolean>;
}

export function servingFiles(certFile: string, keyFile: string): ServingFiles {
  return {
    certFile,
    async write(pair) {
      if ((await readOrEmpty(certFile)) === pair.cert && (await readOrEmpty(keyFile)) === pair.key)
        return false;
      await writeAtomically(keyFile, pair.key, 0o600);
      await writeAtomically(certFile, pair.cert, 0o644);
      return true;
    },
  };
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return "";
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
