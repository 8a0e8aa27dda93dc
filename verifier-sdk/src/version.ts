/** This SDK's version, as verifiers report it. A test keeps it equal to package.json. */
export const SDK_VERSION = '0.1.0';
