#!/usr/bin/env node
// The torch-unet command line: one file a command, wired here. Exit codes: 0 success, 1 a failure, 2 wrong usage
// (130 when Ctrl-C stopped training). Errors are one readable line; --verbose adds the stack.
import { Command, InvalidArgumentError, Option } from 'commander';

import { compare } from './compare.js';
import { demo, DEMO_DEFAULTS } from './demo.js';
import { evaluate } from './evaluate.js';
import { info } from './info.js';
import { repeatable } from './models.js';
import { predict } from './predict.js';
import { DEFAULT_COMPUTE_NICE, pairArgument, serve } from './serve.js';
import { train } from './train.js';
import type { Precision } from '../runtime/backend.js';
import { SERVE_DEFAULTS } from '../server/options.js';
import { BOOTSTRAP_DEFAULTS } from '../stats/index.js';

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return value;
};

const fraction = (text: string) => {
  const value = Number(text);
  if (!(value >= 0 && value < 1)) throw new InvalidArgumentError('expected a number in [0, 1)');
  return value;
};

const openFraction = (text: string) => {
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new InvalidArgumentError('expected a number in (0, 1)');
  return value;
};

const positive = (text: string) => {
  const value = Number(text);
  if (!(value > 0 && Number.isFinite(value))) throw new InvalidArgumentError('expected a positive number');
  return value;
};

/** --precision, on the commands that run the network; the core owns its default (fp32) and checks the CPU. */
const precision = (allowed: Precision[]) =>
  new Option('--precision <p>', "the network's number format ('auto': bf16 where the CPU has native bf16)").choices(allowed);

/** --quiet, --json and --verbose, on every command that runs work. */
function withOutput(command: Command): Command {
  return command
    .option('--quiet', 'print the results only')
    .option('--json', 'print one JSON line per event, for scripts')
    .option('--verbose', 'print the stack of an error');
}

const program = new Command()
  .name('torch-unet')
  .description('U-Net image segmentation on libtorch')
  .showHelpAfterError()
  // Wrong usage exits with 2, as scripts expect; help and version exit with 0.
  .exitOverride((error) => {
    const informational = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
    process.exit(informational ? 0 : 2);
  });

withOutput(program.command('demo'))
  .description('train on synthetic shapes, then write demo-out/panel.png and curves.svg and print the test scores')
  .option('--out <dir>', 'where the pictures go', DEMO_DEFAULTS.out)
  .option('--epochs <n>', 'epochs to train', integer(1, 10_000), DEMO_DEFAULTS.epochs)
  .option('--images <n>', 'synthetic images (a fifth for testing)', integer(10, 1_000_000), DEMO_DEFAULTS.images)
  .option('--seed <n>', 'seed of the data and the weights', integer(0), DEMO_DEFAULTS.seed)
  .addOption(precision(['fp32', 'bf16', 'auto']))
  .action(demo);

withOutput(program.command('train'))
  .description('train a U-Net on a folder of images and a folder of masks')
  .requiredOption('--images <dir>', 'the images (PNG, JPEG, TIFF, WebP)')
  .requiredOption('--masks <dir>', 'the masks, paired with the images by file name')
  .option('--val-split <fraction>', 'images held out for validation', fraction, 0.1)
  .option('--size <n>', 'training size in pixels (images are resized to it)', integer(8, 16384), 256)
  .option('--crop', 'crop at random to --size instead of resizing')
  .addOption(new Option('--channels <n>', 'image channels').choices(['1', '3', '4']).default(3).argParser(Number))
  .option('--classes <n>', '1 for binary masks, else the number of classes with the background', integer(1, 1024), 1)
  .option('--epochs <n>', 'epochs in all (with --resume, including those done)', integer(1, 1_000_000), 30)
  .option('--batch <n>', 'batch size', integer(1, 4096), 8)
  .option('--lr <rate>', 'peak learning rate (Adam, cosine schedule)', positive, 3e-3)
  .addOption(new Option('--augment <kind>', 'augmentation').choices(['none', 'flips', 'default']).default('flips'))
  .option('--base-filters <n>', 'filters of the first level', integer(1, 1024), 16)
  .option('--depth <n>', 'poolings', integer(1, 6), 4)
  .option('--seed <n>', 'seed of the split, the shuffling and the weights', integer(0), 0)
  .option('--out <file>', 'the model file; the checkpoint, curves and metrics go beside it', 'model.pt')
  .option('--resume', 'continue from the checkpoint beside --out')
  .addOption(precision(['fp32', 'bf16', 'auto']))
  .option('--nproc-per-node <n>', 'train in this many processes on this machine (distributed, as torchrun starts them; --batch is per process)', integer(1, 1024))
  .option('--nnodes <n>', 'machines in the run, each started with its --node-rank', integer(1, 65536), 1)
  .option('--node-rank <n>', "this machine's index; node 0 hosts the rendezvous", integer(0, 65535), 0)
  .option('--master-addr <host>', "node 0's address", '127.0.0.1')
  .option('--master-port <port>', "node 0's rendezvous port", integer(1, 65535), 29500)
  .option('--timeout <seconds>', 'distributed: how long the rendezvous and each exchange may wait for the other processes', positive)
  .option('--folds <k>', 'k-fold cross-validation: one model per fold in the folder --out, scores in <out>/folds.json', integer(2, 1000))
  .option('--groups <csv>', 'with --folds: a CSV of image,group (patient, site); no group is split between folds')
  .action(train);

withOutput(program.command('predict'))
  .description('write masks (PNG, at the original size) for images or folders of images')
  .argument('<input...>', 'images, or folders of images')
  .requiredOption('--model <file>', 'a model written by train or save(), or a folder of train --folds; repeat for an ensemble', repeatable)
  .requiredOption('--out <dir>', 'where the masks go')
  .option('--overlay', 'also write each image with its mask drawn over it')
  .option('--tile <n>', 'sliding-window tiles of this size, for large images', integer(1, 1 << 20))
  .option('--overlap <fraction>', 'overlap of the tiles', fraction, 0.25)
  .option('--tta', 'average over flips (test-time augmentation)')
  .option('--threshold <p>', 'binary models: the foreground probability', fraction, 0.5)
  .option('--remove-small <minSize>', 'remove components of fewer pixels, per class (4-connected)', integer(1))
  .option('--keep-largest', "keep each class's largest component (8-connected)")
  .option('--fill-holes', "fill holes: background enclosed by one class becomes that class")
  .addOption(precision(['fp32', 'bf16', 'fp16', 'auto']))
  .action(predict);

withOutput(program.command('eval'))
  .description('IoU, Dice, HD95 and the average surface distance per image and per class against the true masks, with the means and boxplots')
  .requiredOption('--model <file>', 'a model written by train or save(), or a folder of train --folds; repeat for an ensemble', repeatable)
  .requiredOption('--images <dir>', 'the images')
  .requiredOption('--masks <dir>', 'the true masks, paired with the images by file name')
  .option('--size <n>', 'resize to this size first (needed when the images differ in size)', integer(8, 16384))
  .option('--csv', 'print CSV')
  .option('--plots <stem>', 'write the boxplots to <stem>.scores.svg and <stem>.distances.svg (default: beside the model)')
  .option('--no-plots', 'write no boxplots')
  .addOption(precision(['fp32', 'bf16', 'fp16', 'auto']))
  .action(evaluate);

withOutput(program.command('compare'))
  .description('two models on the same images, from their eval --json outputs: per metric and class, the mean difference b - a with its bootstrap interval and paired p-values')
  .argument('<a.json>', "model a's `eval --json` output")
  .argument('<b.json>', "model b's, on the same images")
  .option('--resamples <n>', 'bootstrap resamples', integer(1, 10_000_000), BOOTSTRAP_DEFAULTS.resamples)
  .option('--confidence <c>', "the interval's coverage", openFraction, BOOTSTRAP_DEFAULTS.confidence)
  .option('--seed <n>', "seed of the bootstrap's draws", integer(0), BOOTSTRAP_DEFAULTS.seed)
  .option('--csv', 'print CSV')
  .action(compare);

withOutput(program.command('serve'))
  .description('serve models over HTTP: Open Inference Protocol v2, an image route, metrics and a web page')
  .requiredOption('--model <name=file>', 'a model to serve, by the name its routes use (repeat for more)', pairArgument)
  .option('--class-names <name=names>', "a model's mask values' names, background first: nuclei=background,nucleus (repeat for more)", pairArgument)
  .option('--port <n>', 'the port (0: any free one)', integer(0, 65535), 8080)
  .option('--host <address>', 'the address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
  .option('--max-batch-size <n>', 'dynamic batching: most images in one batch (1 turns it off)', integer(1, 4096), SERVE_DEFAULTS.batching.maxBatchSize)
  .option('--max-queue-delay-ms <ms>', 'dynamic batching: longest wait for a batch to fill', integer(0, 60_000), SERVE_DEFAULTS.batching.maxQueueDelayMs)
  .option('--max-queue-size <n>', 'requests waiting per model; above it, 503 with Retry-After', integer(0, 1_000_000), SERVE_DEFAULTS.batching.maxQueueSize)
  .option('--request-timeout-ms <ms>', 'a request not answered by then gets a 504', integer(1, 3_600_000), SERVE_DEFAULTS.requestTimeoutMs)
  .option('--body-limit-mb <mb>', 'largest request body', positive, SERVE_DEFAULTS.bodyLimit / (1024 * 1024))
  .option('--max-image-pixels <n>', 'largest image (width x height), checked before decoding', integer(1, 2 ** 31 - 1), SERVE_DEFAULTS.maxImagePixels)
  .option('--tile-size <n>', 'images larger than this on a side are predicted in windows of this size', integer(16, 16384), SERVE_DEFAULTS.tileSize)
  .option('--drain-timeout-ms <ms>', 'on SIGTERM, how long the requests in flight may take', integer(0, 3_600_000), 30_000)
  .option('--threads <n>', "libtorch's threads (default: one per core, or OMP_NUM_THREADS)", integer(1, 1024))
  .option('--compute-nice <n>', `the nice value of every thread but the event loop's (libtorch's, the image pool's), -20 to 19: above the loop's 0, it gets a core first (default ${DEFAULT_COMPUTE_NICE}, on Linux)`, integer(-20, 19))
  .addOption(precision(['fp32', 'bf16', 'fp16', 'auto']))
  .option('--tta', 'average over flips (test-time augmentation)')
  .option('--log', 'log each request (JSON lines, fastify\'s logger)')
  .action(serve);

program
  .command('info')
  .description('libtorch version, BLAS, threads and CUDA devices')
  .option('--json', 'print one JSON object')
  .action(info);

program.parseAsync().catch((error: Error) => {
  const verbose = process.argv.includes('--verbose');
  console.error(verbose ? error.stack : `torch-unet: ${error.message}`);
  process.exitCode = 1;
});
