/** Wire-shaped sample data for page tests. */
export const TASKS = {
  items: [
    { name: "echo", timeout_s: null, max_retries: null, description: "Returns its payload as the result." },
    { name: "sleep", timeout_s: 60, max_retries: 2, description: "Sleeps payload.seconds." },
  ],
};

export const INFO = { version: "0.1.0", environment: "development", dev_routes: true, auth_required: false, shards: 1 };
