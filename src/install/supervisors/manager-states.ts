// The answers of `systemctl is-system-running` for a manager that runs units.
export const MANAGER_UP_STATES = ["running", "degraded", "starting", "initializing", "maintenance"];
