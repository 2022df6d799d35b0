// fit's learning-rate schedule: a name, or a name with its options.
import { checkOptions, integer, number, oneOf, typeError } from '../validate.js';

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

export function checkSchedule(schedule: ScheduleName | ScheduleOptions | undefined): void {
  const name = 'options.schedule';
  if (schedule === undefined) return;
  if (typeof schedule === 'string') {
    oneOf('constant', 'plateau', 'cosine', 'poly')(schedule, name);
    return;
  }
  const checked = checkOptions<ScheduleOptions>(schedule, name, {
    name: oneOf('constant', 'plateau', 'cosine', 'poly'),
    factor: number(0, 1, { minExclusive: true, maxExclusive: true }),
    patience: integer(0, 1_000_000),
    minLr: number(0),
  });
  if (checked.name === undefined) throw typeError(`${name}.name`, "'constant' | 'plateau' | 'cosine' | 'poly'", undefined);
}
