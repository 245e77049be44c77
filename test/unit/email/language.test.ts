import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../../functions/domain/email/index.ts';

describe('detectLanguage', () => {
  it.each([
    ['Удалите, пожалуйста, мои персональные данные.', 'ru'],
    ['Менің деректерімді жойыңыз.', 'kk'],
    ['Сізде мен туралы қандай деректер сақталған?', 'kk'],
    ['Please delete my account.', 'en'],
    ['Удалите мои данные. Thanks!', 'ru'],
    ['Please delete my data, спасибо', 'en'],
  ] as const)('%s → %s', (text, language) => {
    expect(detectLanguage(text, 'ru')).toBe(language);
  });

  it('keeps Russian when a long Russian text names a Kazakh person', () => {
    const text = 'Прошу прекратить обработку моих персональных данных и сообщить мне о результате. С уважением, Әлия Сұлтанова';
    expect(detectLanguage(text, 'en')).toBe('ru');
  });

  it('falls back when there is too little text to tell', () => {
    expect(detectLanguage('?', 'kk')).toBe('kk');
    expect(detectLanguage('OK 123 !!!', 'en')).toBe('en');
    expect(detectLanguage('', 'ru')).toBe('ru');
  });

  it('counts letters, not digits, punctuation or emoji', () => {
    expect(detectLanguage('+7 701 000 00 17 🙂🙂🙂 ... Да', 'en')).toBe('en');
  });
});
