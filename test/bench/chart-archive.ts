// A Helm chart packed as `helm package` lays it out (a gzipped tar holding one top-level folder named
// after the chart), written here byte for byte the same on every run: fixed owner, mode and mtime,
// entries sorted, gzip without a timestamp. The render part vendors it under each release's charts/,
// where Git stores the 100 copies as one blob.
import { gzipSync } from "node:zlib";

const BLOCK = 512;

/** `files`: paths inside the chart folder (`templates/deployment.yaml`) and their text. */
export function chartArchive(chartName: string, files: Readonly<Record<string, string>>): Buffer {
  const blocks: Buffer[] = [];
  for (const path of Object.keys(files).sort()) {
    const content = Buffer.from(files[path] as string, "utf8");
    blocks.push(header(`${chartName}/${path}`, content.length), content, padding(content.length));
  }
  // Two zero blocks end a tar archive.
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

/** A ustar header for a regular file, owned by 0:0, mode 0644, mtime 0. */
function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`chart archive: path ${name} is over 100 bytes`);
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, "utf8");
  block.write(octal(0o644, 8), 100);
  block.write(octal(0, 8), 108); // uid
  block.write(octal(0, 8), 116); // gid
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136); // mtime
  block.write("        ", 148); // the checksum counts its own field as spaces
  block.write("0", 156); // regular file
  block.write("ustar\u000000", 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148);
  return block;
}

/** Zero-padded octal digits ending in NUL, filling a field of `width` bytes. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\u0000`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}
