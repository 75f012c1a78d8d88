/** Values the workers project's global setup hands to its tests and pool (see test/workers/global-setup.ts). */
declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
    zoneApiUrl: string;
    edgeUrl: string;
    e2eOriginUrl: string;
  }
}
export {};
