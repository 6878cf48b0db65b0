// The messages between git-scale.ts and its measured child (load-child.mjs), over the IPC channel.
export type ChildMessage =
  | { type: "ready"; baselineRssKb: number }
  | {
      type: "loaded";
      startMs: number;
      rebuildMs: number;
      objects: number;
      maxRssKb: number;
      heapUsedMb: number;
      state: string;
    }
  | {
      type: "refreshed";
      refreshMs: number;
      rebuildMs: number;
      result: string;
      changedFiles: number;
      objects: number;
      maxRssKb: number;
    }
  | { type: "stopped"; maxRssKb: number }
  | { type: "error"; message: string };

export type ParentMessage = { type: "load" } | { type: "refresh" } | { type: "stop" };
