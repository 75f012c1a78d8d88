/**
 * The demo page: shows two cached resources and what answered them, and offers the actions the
 * walkthrough needs. `window.edgecache` is the page client, for the console (and the tests).
 */
import { edgecacheClient } from "../../browser/client.js";

const DEV_ADMIN_TOKEN = "dev-admin-token";
const edgecache = edgecacheClient();
Object.assign(window, { edgecache });

const $ = (id: string) => document.getElementById(id)!;
const log = (line: string) => ($("log").textContent = `${new Date().toLocaleTimeString()}  ${line}\n${$("log").textContent}`);

async function show(path: string, target: string): Promise<void> {
  try {
    const response = await fetch(path);
    const text = await response.text();
    $(target).textContent = path.startsWith("/blog/") ? (new DOMParser().parseFromString(text, "text/html").querySelector("p")?.textContent ?? text) : text;
    $(`${target}-status`).textContent = `${response.status} · ${response.headers.get("cache-status") ?? "(no cache-status)"}`;
  } catch (error) {
    $(target).textContent = `not available: ${(error as Error).message}`;
  }
}

async function refresh(): Promise<void> {
  $("network").textContent = navigator.onLine ? "online" : "offline";
  await Promise.all([show("/blog/hello-edge", "post"), show("/api/time", "time")]);
}

$("reload").addEventListener("click", () => void refresh());
$("purge-edge").addEventListener("click", async () => {
  const response = await fetch("/_cache/purge", { method: "POST", headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` }, body: JSON.stringify({ tags: ["blog"] }) });
  log(`edge purge of tag "blog": ${await response.text()}`);
});
$("sync").addEventListener("click", async () => log(`learnt the edge's purges: ${JSON.stringify(await edgecache.syncPurges())}`));
$("stats").addEventListener("click", async () => log(`browser cache stats: ${JSON.stringify(await edgecache.stats())}`));
// Back online: learn what the edge purged meanwhile before showing anything again.
addEventListener("online", () => void edgecache.syncPurges().then((report) => log(`back online, learnt: ${JSON.stringify(report)}`)).finally(() => void refresh()));
addEventListener("offline", () => void refresh());

async function start(): Promise<void> {
  await navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
  await navigator.serviceWorker.ready;
  edgecache.keepFresh(60_000);
  await refresh();
  document.body.dataset.ready = "true";
}

void start();
