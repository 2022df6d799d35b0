// setComputeNice in a process of its own: a nice value, once raised, may not come down again without CAP_SYS_NICE.
import { availableParallelism } from 'node:os';

import { describe, expect, it } from 'vitest';

import { backendInfo, setComputeNice, setThreads, UNet } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { threads as tasks } from './helpers/threads.js';

describe('setComputeNice', () => {
  it('sets the nice value of the compute thread and its OpenMP team, which run the work, and no other thread', async () => {
    const model = await UNet.create({ baseFilters: 16, depth: 4, device: 'cpu', seed: 1 });
    const images = randomImages([4, 1, 256, 256], 3);
    await model.predict(images);
    expect(backendInfo().nice).toBe(0);
    setComputeNice(7);
    expect(backendInfo().nice).toBe(7);
    const niced = () => [...tasks()].filter(([, task]) => task.nice === 7).map(([tid]) => tid);
    expect(niced()).toHaveLength(backendInfo().threads);
    expect(tasks().get(process.pid)?.nice).toBe(0);
    // The niced threads are those that compute: nearly all the CPU time of a predict is theirs.
    const nicedShare = async () => {
      const before = tasks();
      await model.predict(images);
      const spent = [...tasks()].map(([tid, task]) => [tid, task.cpu - (before.get(tid)?.cpu ?? 0)] as const);
      const total = spent.reduce((sum, [, cpu]) => sum + cpu, 0);
      expect(total).toBeGreaterThan(10);
      return spent.filter(([tid]) => niced().includes(tid)).reduce((sum, [, cpu]) => sum + cpu, 0) / total;
    };
    expect(await nicedShare()).toBeGreaterThan(0.8);
    // So are those of a team started after a change of threads.
    setThreads(1);
    setThreads(availableParallelism());
    expect(await nicedShare()).toBeGreaterThan(0.8);
    expect(() => setComputeNice(1.5)).toThrow(TypeError);
    expect(() => setComputeNice(30)).toThrow('nice: expected an integer from -20 to 19, got 30');
    // Lowering it back takes CAP_SYS_NICE, which root has. (A thread that libtorch started for another pool while
    // the value was raised keeps it: it is no team's.)
    if (process.getuid?.() === 0) {
      setComputeNice(0);
      expect(backendInfo().nice).toBe(0);
      expect(await nicedShare()).toBeLessThan(0.2);
    } else expect(() => setComputeNice(0)).toThrow('lowering the nice value needs CAP_SYS_NICE');
    model.dispose();
  });
});

