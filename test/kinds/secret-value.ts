/** The secret value the fixture recorder planted in an env file on the "host" (test/fixtures/probe/record.ts). */
export const SECRET_IN_FILE_VALUE = "s3cr3t-value-on-host-9f2c";
