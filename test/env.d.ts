import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      FAKE_PORTS: string;
      PG_URL: string;
      MYSQL_URL: string;
      MYSQL_TLS_PORT: string;
      PG_TLS_PORT: string;
    }
  }
}
