export * from './accounts.module';
export * from './accounts.types';
export * from './config/accounts.config';
export * from './directory/account-directory';
export * from './errors/accounts.exception';
export * from './organizations/organizations-client.provider';
export * from './sts/sts-client.provider';
