import { type Browser, type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium (Playwright's own download cannot work here); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** No background networking: this machine's closed network refuses it, many times a second. */
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}

/** A profile kept on disk (Chromium enforces per-origin quota overrides only there). */
export function launchPersistentChromium(directory: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(directory, { executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}
