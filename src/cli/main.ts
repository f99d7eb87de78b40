import { EXIT } from './exit-codes.js';
import { run } from './program.js';

// `start` keeps running after parse (the server holds the event loop): only set the exit code.
const argv = process.argv.slice(2);
const code = await run(argv);
if (code !== EXIT.ok || !argv.includes('start')) process.exitCode = code;
