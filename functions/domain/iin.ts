/**
 * Kazakhstan's individual identification number (ЖСН / ИИН): 12 digits, the last a check digit computed mod 11 with
 * weights 1..11, or — where that gives 10 — with weights 3..11,1,2 (a second 10 means the number is never issued).
 */
const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

export function isValidIin(value: string): boolean {
  if (!/^\d{12}$/.test(value)) return false;
  const digits = [...value].map(Number);
  const checksum = (weights: number[]) => weights.reduce((sum, weight, i) => sum + weight * digits[i]!, 0) % 11;
  let check = checksum(FIRST_WEIGHTS);
  if (check === 10) check = checksum(SECOND_WEIGHTS);
  return check !== 10 && check === digits[11];
}
