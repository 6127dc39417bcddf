/** Reported as the instrumentation scope version and `telemetry.distro.version`. */
export const SDK_NAME = '@oversight/sdk';
export const SDK_VERSION = '0.1.0';
