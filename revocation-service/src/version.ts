/** This package's version, as `revocast --version` prints it. A test keeps it equal to package.json. */
export const SERVICE_VERSION = '0.1.0';
