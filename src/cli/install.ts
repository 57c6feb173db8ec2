import { defineCommand } from "citty";
import { notAvailableYet } from "./not-yet.ts";

const profile = { profile: { type: "string", description: "Deployment profile (default: default)" } } as const;
const stub = (name: string, description: string) =>
  defineCommand({ meta: { name, description }, args: profile, run: () => notAvailableYet(`install ${name}`) });

export default defineCommand({
  meta: { name: "install", description: "Persistent deployments: a supervised proxy that survives logout, crash and reboot." },
  subCommands: {
    apply: stub("apply", "Create or update a deployment profile and start it."),
    status: stub("status", "Show a deployment's health."),
    start: stub("start", "Start a deployment through its supervisor."),
    stop: stub("stop", "Stop a deployment and wait until its port is free."),
    restart: stub("restart", "Restart a deployment."),
    remove: stub("remove", "Remove a deployment and undo every change it made."),
    agent: defineCommand({
      meta: { name: "agent", description: "What supervisors execute (internal)." },
      subCommands: {
        run: stub("run", "Serve the profile's proxy in this process."),
        ensure: stub("ensure", "Start the profile's runtime unless it is healthy."),
      },
    }),
  },
});
