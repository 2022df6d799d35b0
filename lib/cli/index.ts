#!/usr/bin/env node
// The torch-unet command line: one file a command, wired here.
import { Command } from 'commander';

import { info } from './info.js';

const program = new Command()
  .name('torch-unet')
  .description('U-Net image segmentation on libtorch')
  .showHelpAfterError()
  // Wrong usage exits with 2, as scripts expect; help and version exit with 0.
  .exitOverride((error) => {
    const informational = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
    process.exit(informational ? 0 : 2);
  });

program
  .command('info')
  .description('libtorch version, BLAS, threads and CUDA devices')
  .option('--json', 'print one JSON object')
  .action(info);

program.parseAsync().catch((error: Error) => {
  console.error(`torch-unet: ${error.message}`);
  process.exitCode = 1;
});
