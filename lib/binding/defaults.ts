// Every option's default, as the core owns it (native/core): read once from the addon. lib/ shows them to users
// (defaultAugment, defaultLoss); test/defaults.test.ts checks the documentation against them.
import { native } from './loader.js';

export const nativeDefaults = native.defaults();
