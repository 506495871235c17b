/** English for the LDAP account's fields and refusals on a user's page (src/web/views/users.tsx). */
export const enLdap: Readonly<Record<string, string>> = {
  'Эл. почта': 'E-mail',
  'Пароль этой учётной записи задаётся в Active Directory': 'The password of this account is set in Active Directory',
}
