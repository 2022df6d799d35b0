// Starts the worker processes of one node, as torchrun does, for people without Python: each worker gets the
// environment torchrun would give it (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR,
// MASTER_PORT, OMP_NUM_THREADS). Ctrl-C and SIGTERM are passed on; when one worker fails, the others are stopped
// and the launch fails with that worker's exit code and error; no worker outlives the launcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface LaunchOptions {
  /** Workers on this node. */
  nprocPerNode: number;
  /** Nodes in all. Default 1. */
  nnodes?: number;
  /** This node's index, 0 to nnodes - 1; node 0 hosts the rendezvous. Default 0. */
  nodeRank?: number;
  /** Default '127.0.0.1'. */
  masterAddr?: string;
  /** Default 29500. */
  masterPort?: number;
  /** The worker's command: argv[0] is the executable. */
  command: string[];
  /** Added to this process's environment for every worker. */
  env?: NodeJS.ProcessEnv;
  /** A worker's stderr, line by line, for the launcher to show. Default: passed through. */
  onStderr?: (rank: number, text: string) => void;
}

/** In a worker: ends this process should its launcher be gone (killed outright, it could not stop its workers). */
export function watchLauncher(): void {
  const launcher = process.ppid;
  setInterval(() => {
    if (process.ppid !== launcher) process.kill(process.pid, 'SIGKILL');
  }, 500).unref();
}

export interface LaunchResult {
  /** 0 when every worker succeeded; else the first failed worker's code (128 + signal number for a signal). */
  exitCode: number;
  /** The first worker that failed, with the end of its stderr. */
  failed?: { rank: number; exitCode: number; stderr: string };
  /** A Ctrl-C or SIGTERM reached the launcher and was passed on: the workers stopped because they were asked to. */
  interrupted: boolean;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
/** How long a worker asked to stop may take before it is killed. */
const STOP_GRACE_MS = 10_000;

export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const { nprocPerNode, nnodes = 1, nodeRank = 0, masterAddr = '127.0.0.1', masterPort = 29500 } = options;
  const world = nnodes * nprocPerNode;
  // torchrun sets OMP_NUM_THREADS=1 for more than one worker; the cores split evenly is as safe and faster here.
  const threads = String(Math.max(1, Math.floor(availableParallelism() / nprocPerNode)));
  const workers: { child: ChildProcess; rank: number; stderr: string }[] = [];
  let failed: LaunchResult['failed'];
  let stopping = false;
  let interrupted = false;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  let killTimer: NodeJS.Timeout | undefined;
  const stopRest = () => {
    if (stopping) return;
    stopping = true;
    stopAll('SIGTERM');
    killTimer = setTimeout(() => stopAll('SIGKILL'), STOP_GRACE_MS);
  };
  const forward = (signal: NodeJS.Signals) => () => {
    interrupted = true;
    stopAll(signal);
  };
  const onSigint = forward('SIGINT');
  const onSigterm = forward('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  // Should the launcher itself go, its workers go too.
  const onExit = () => stopAll('SIGKILL');
  process.on('exit', onExit);
  try {
    const exits = Array.from({ length: nprocPerNode }, (_, localRank) => {
      const rank = nodeRank * nprocPerNode + localRank;
      const env = {
        ...process.env,
        OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? threads,
        ...options.env,
        RANK: String(rank),
        LOCAL_RANK: String(localRank),
        GROUP_RANK: String(nodeRank),
        WORLD_SIZE: String(world),
        LOCAL_WORLD_SIZE: String(nprocPerNode),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
      };
      // A process group of its own: a Ctrl-C at the terminal reaches the launcher alone, which passes it on once
      // (twice would make a worker quit at once). A worker watches that its launcher is still there (watchLauncher).
      const child = spawn(options.command[0], options.command.slice(1), { env, stdio: ['ignore', 'inherit', 'pipe'], detached: true });
      const worker = { child, rank, stderr: '' };
      workers.push(worker);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        worker.stderr = (worker.stderr + text).slice(-4000);
        if (options.onStderr) options.onStderr(rank, text);
        else process.stderr.write(text);
      });
      return new Promise<void>((resolve) => {
        child.on('error', (error) => {
          worker.stderr += String(error);
        });
        child.on('close', (code, signal) => {
          const exitCode = code ?? 128 + (SIGNALS[signal ?? ''] ?? 1);
          if (exitCode !== 0 && !failed) {
            failed = { rank, exitCode, stderr: worker.stderr };
            stopRest();
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
  } finally {
    clearTimeout(killTimer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('exit', onExit);
  }
  return failed ? { exitCode: failed.exitCode, failed, interrupted } : { exitCode: 0, interrupted };
}
