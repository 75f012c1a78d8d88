/** `npm run bench`: every benchmark, each side by side with its peers, printed as ratios. */
import { benchBrowser } from "./browser.js";
import { benchEngine } from "./engine.js";
import { benchWorkers } from "./workers.js";

console.log(`# edgecache benchmarks (node ${process.version}, ${new Date().toISOString()})`);
await benchEngine();
await benchWorkers();
await benchBrowser();
