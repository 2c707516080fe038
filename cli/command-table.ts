/**
 * The subcommands of `videocall-cli`, in the order `--help` lists them. A new
 * command is a file in `cli/commands/` exporting a {@link Command}, added here.
 */
import type { Command } from './command.js';
import { botsCommand } from './commands/bots.js';
import { info } from './commands/info.js';
import { recordCommand } from './commands/record.js';
import { stream } from './commands/stream.js';

export const COMMANDS: readonly Command[] = [stream, recordCommand, botsCommand, info];
