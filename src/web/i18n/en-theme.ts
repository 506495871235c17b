/**
 * English for the profile's colour theme (issue 13: src/web/views/profile.tsx, profile.routes.tsx) and for what
 * axe-core asked of the pages (test/e2e/axe-journey.test.ts).
 */
export const enTheme: Readonly<Record<string, string>> = {
  'Тема оформления': 'Colour theme',
  'Как в системе': 'Follow the system',
  Светлая: 'Light',
  Тёмная: 'Dark',
  'Сменить тему': 'Change theme',
  'Тема оформления изменена': 'Colour theme changed',
  'Записи журнала': 'Journal entries',
}
