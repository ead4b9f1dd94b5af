-- 0020_persons_birth_date: people born on one date, of one sex, in PIN
-- order. The duplicate screen before a registration searches them to find a
-- person already on record whose surname was misspelt, wherever they live
-- (package linkage); at 10,000,000 people a date and sex hold a few hundred.
CREATE INDEX persons_birth_date ON persons (birth_date, sex, pin);
