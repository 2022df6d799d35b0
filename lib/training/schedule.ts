// fit's learning-rate schedule: a name, or a name with its options.
export type ScheduleName = 'constant' | 'plateau' | 'cosine' | 'poly';

export interface ScheduleOptions {
  name: ScheduleName;
  /** plateau: the learning rate is multiplied by this. Default 0.1. */
  factor?: number;
  /** plateau: epochs without a lower validation loss (training loss without validation) first. Default 10. */
  patience?: number;
  /** Floor of the learning rate. Default 0. */
  minLr?: number;
}
