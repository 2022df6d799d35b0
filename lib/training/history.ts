// What training reports: one EpochLogs per epoch (fit's result, the model's history) and one BatchLogs per step.

export interface EpochLogs {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** null without validation data. */
  valLoss: number | null;
  /** Mean per-image Dice on the validation data (foreground classes; background too for one class). */
  valDice: number | null;
  valIoU: number | null;
  seconds: number;
}

/** One entry per epoch. */
export type History = EpochLogs[];

export interface BatchLogs {
  epoch: number;
  loss: number;
}
