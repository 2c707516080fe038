import version from 'virtual:version';

/** The package version (semver) this bundle was built from, as `package.json` says. */
export const PACKAGE_VERSION: string = version;
