-- Reserved for the hardening migration, which replaces this file; it
-- changes nothing, so that 0004 follows an unbroken sequence.
SELECT 1;
