export default {
  async fetch() {
    return new Response("ok");
  },
} satisfies ExportedHandler;
export class RunTracker {}
export class WorkspaceRateLimiter {}
