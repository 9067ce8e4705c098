/* test_arith_gsm8k_known.h: the inline steps of the GSM8K references that
 * are not ok, by problem (0-based line), offset, verdict and text; each is
 * explained in docs/arith.md ("GSM8K"). Included by test_arith_gsm8k.c. */
/* clang-format off */
{13, 279, "unparsed", "2/3 * x = 12"}, /* variable */
{24, 65, "unparsed", "X - X*25% = $19.50"}, /* variable */
{33, 79, "unparsed", "x+x+30=110"}, /* variable */
{33, 90, "unparsed", "2*x=80"}, /* variable */
{43, 357, "unparsed", "300g/5 = <<300/5=60>>60"}, /* variable */
{43, 443, "unparsed", "60g * 4/5 = 240g/5"}, /* variable */
{43, 455, "unparsed", "240g/5 = 48"}, /* variable */
{46, 228, "unparsed", "80+x=220+23"}, /* variable */
{84, 84, "unparsed", "(L+8) + L = 2L + 8"}, /* variable */
{84, 96, "unparsed", "2L + 8 = 22"}, /* variable */
{84, 119, "unparsed", "2L = 22 - 8"}, /* variable */
{88, 173, "unparsed", "10h + h = 88,000"}, /* variable */
{107, 338, "unparsed", "1 1/2 / 1/2 = 3"}, /* ambiguous */
{141, 70, "unparsed", "x+2x+4x=700"}, /* variable */
{167, 169, "unparsed", "(2x + 2) + (x + 2) = 28"}, /* variable */
{167, 231, "unparsed", "3x + 4 = 28"}, /* variable */
{167, 278, "unparsed", "3x +4 - 4 = 28 – 4"}, /* variable */
{167, 328, "unparsed", "3x/3 = 24/3"}, /* variable */
{211, 77, "unparsed", "3r + 5w = 42"}, /* variable */
{211, 324, "unparsed", "3r + 5(r + 2) = 42"}, /* variable */
{211, 383, "unparsed", "3r + 5r + 10 = 42"}, /* variable */
{211, 427, "unparsed", "8r + 10 = 42"}, /* variable */
{214, 249, "unparsed", "b + 16 = 2(s + 16)"}, /* variable */
{214, 333, "unparsed", "4s + 16 = 2(s + 16)"}, /* variable */
{214, 397, "unparsed", "4s + 16 = 2s + 32"}, /* variable */
{214, 454, "unparsed", "2s + 16 = 32"}, /* variable */
{219, 40, "unparsed", "(68) + 10 = 44"}, /* context */
{226, 486, "unparsed", "32 water type / 96 Pokemon * 100% = 33.333"}, /* context */
{237, 158, "unparsed", "30*=90"}, /* syntax */
{244, 284, "unparsed", "24-5-10-2+x=27"}, /* variable */
{265, 26, "unparsed", "000 x 5/100 = $<<350000*5/100=17500>>17500"}, /* context */
{265, 95, "unparsed", "000 x 12/100 = $<<350000*12/100=42000>>42000"}, /* context */
{265, 178, "unparsed", "000 + $17500 + $42000 = $409"}, /* context */
{266, 18, "unparsed", "000 x 3/100 = $12"}, /* context */
{266, 76, "unparsed", "000 x 5/100 = $20"}, /* context */
{279, 156, "unparsed", "3 * (x + 9) = (Y + 9)"}, /* variable */
{279, 259, "unparsed", "3 * (x + 9) = (6 * x) + 9"}, /* variable */
{279, 335, "unparsed", "(3 * x) + 27 = (6 * x) + 9"}, /* variable */
{279, 419, "unparsed", "27 - 9 = (6 * x) - (3 * x)"}, /* variable */
{279, 479, "unparsed", "18 = 3 * x"}, /* variable */
{303, 275, "unparsed", "- 135 sold books - 50 unsold books = <<250-135-50=65>>65"}, /* context */
{314, 91, "unparsed", "x+2x+(1/2)x=105"}, /* variable */
{314, 107, "unparsed", "(7/2)x=105"}, /* variable */
{348, 170, "unparsed", "1000 +(1000 x (X/100)) = 1,100"}, /* variable */
{360, 110, "unparsed", "45=(2*x)-5"}, /* variable */
{360, 168, "unparsed", "50=2*x"}, /* variable */
{410, 84, "wrong", "3/2 = $1.50+$3.00"}, /* mismatch */
{499, 308, "unparsed", "200 + 5*X = 25*X"}, /* variable */
{499, 367, "unparsed", "200 = 20*X"}, /* variable */
{500, 73, "unparsed", "B + B + 7 = 43"}, /* variable */
{501, 301, "unparsed", "364 yards = 364 / 4"}, /* context */
{501, 313, "wrong", "364 / 4 = <<3/4*364=273>>273"}, /* mismatch */
{541, 305, "unparsed", "(15*(y/2))+(15*y)=$1125"}, /* variable */
{541, 356, "unparsed", "15(3y/2) = $1125"}, /* variable */
{541, 373, "unparsed", "45y/2 = $1125"}, /* variable */
{580, 140, "unparsed", "X + .04X = 520"}, /* variable */
{597, 43, "unparsed", "x+2x+3x=180"}, /* variable */
{648, 56, "unparsed", "1 teacher + 1 himself = <<25+1+1=27>>27"}, /* context */
{660, 149, "unparsed", "2g + 4s = 70"}, /* variable */
{660, 215, "unparsed", "2g + 80 - 4g = 70"}, /* variable */
{673, 65, "unparsed", "3+2x=21"}, /* variable */
{682, 244, "unparsed", "x+x/2 = 120"}, /* variable */
{682, 256, "unparsed", "3/2x = 120"}, /* variable */
{687, 119, "unparsed", "2 * (T + 7) + 3T = 44"}, /* variable */
{687, 141, "unparsed", "2T + 14 + 3T = 44"}, /* variable */
{687, 159, "unparsed", "5T + 14 = 44"}, /* variable */
{726, 240, "unparsed", "9*x + 10 = 100"}, /* variable */
{756, 123, "unparsed", "V + 2V = 3V"}, /* variable */
{756, 241, "unparsed", "2V = 2 * 11"}, /* variable */
{763, 158, "unparsed", "250=x+x+(1/2)"}, /* context */
{763, 173, "unparsed", "250=(5/2)"}, /* context */
{783, 171, "unparsed", "2*x + x = 24"}, /* variable */
{783, 189, "unparsed", "3*x = 24"}, /* variable */
{800, 47, "unparsed", "278 + 11 = 150"}, /* context */
{802, 271, "unparsed", "x / (14 + x) = .3"}, /* variable */
{808, 17, "unparsed", "1.5 quarts = 4 * 1.5"}, /* ambiguous */
{808, 78, "unparsed", "2 quarts = 16 * 2"}, /* ambiguous */
{815, 245, "unparsed", "2Z + 2Z + 2Z = <<2+2+2=6>>6Z"}, /* variable */
{815, 356, "unparsed", "2 * 2Z = <<2*2=4>>4Z"}, /* variable */
{815, 399, "unparsed", "6Z + 4Z = 10Z"}, /* variable */
{825, 74, "unparsed", "x+3x+3x+12=341"}, /* variable */
{825, 89, "unparsed", "7x+12=341"}, /* variable */
{855, 138, "unparsed", "X + (X+3) + (X-2) + [(X+3)*3 - 1] = 87"}, /* variable */
{855, 258, "unparsed", "X*6 + 9 = 87"}, /* variable */
{866, 43, "unparsed", "x + 25 + x + 12 + x = 85"}, /* variable */
{866, 68, "unparsed", "3x + 37 = 85"}, /* variable */
{899, 133, "unparsed", "6 nephews = 96 cookies/6"}, /* ambiguous */
{930, 92, "unparsed", "31 + 8 + 9 + T = 48 + T"}, /* variable */
{930, 109, "unparsed", "48 + T = 62"}, /* variable */
{931, 66, "unparsed", "x + (x + 10) = 2x + 10"}, /* variable */
{931, 97, "unparsed", "(2x + 10) + (x + 1) + x = 100"}, /* variable */
{931, 156, "unparsed", "4x + 20 = 100"}, /* variable */
{950, 73, "unparsed", "B + B -20 + B - 10 = 45"}, /* variable */
{950, 97, "unparsed", "3B - 30 = 45"}, /* variable */
{958, 86, "unparsed", "48 = 100% + 20%"}, /* ambiguous */
{960, 309, "unparsed", "29 + X = 40"}, /* variable */
{963, 73, "unparsed", "5+(4x-13)=4x-8"}, /* variable */
{963, 95, "unparsed", "x+4x-13+4x-8=339"}, /* variable */
{963, 112, "unparsed", "9x-21=339"}, /* variable */
{999, 265, "unparsed", "2x+2x = 100"}, /* variable */
{1001, 435, "unparsed", "5-3 = <<5-3=2>>2"}, /* context */
{1002, 128, "unparsed", "3 1/2 * B + 4 1/2 * B = 8B"}, /* variable */
{1022, 160, "unparsed", "12A + 4 * 2A = 12A + 8A"}, /* variable */
{1022, 175, "unparsed", "12A + 8A = 20A"}, /* variable */
{1024, 301, "wrong", "32 - $20 = $300"}, /* mismatch */
{1045, 118, "unparsed", "X + (X+80) + (X+80)*2 = 1920"}, /* variable */
{1045, 148, "unparsed", "X + X + 80 + 2*X + 80*2 = 1920"}, /* variable */
{1045, 179, "unparsed", "X*4 + 240 = 1920"}, /* variable */
{1045, 197, "unparsed", "X*4 = 1680"}, /* variable */
{1047, 179, "unparsed", "B + 2B + 2B + 4 = 5B + 4"}, /* variable */
{1047, 197, "unparsed", "5B + 4 = 19"}, /* variable */
{1047, 222, "unparsed", "5B = 19 - 4"}, /* variable */
{1047, 361, "unparsed", "2B = 3 * 2"}, /* variable */
{1061, 59, "unparsed", "2D + 18 = 98"}, /* variable */
{1084, 177, "unparsed", "2x+60=100"}, /* variable */
{1113, 31, "unparsed", "8 degrees = 2 - 8"}, /* ambiguous */
{1113, 71, "unparsed", "3 degrees = -6 + 3"}, /* ambiguous */
{1131, 112, "unparsed", "16*5=<<16*5=80>>80"}, /* context */
{1136, 148, "unparsed", "B + 24 = 60"}, /* variable */
{1168, 108, "unparsed", "(Y - 7) = 37"}, /* context */
{1168, 124, "unparsed", "6Y - 35 = 37"}, /* variable */
{1181, 26, "unparsed", "(x+7)*5=(x+25)*3"}, /* variable */
{1181, 43, "unparsed", "5*x+35=3*x+75"}, /* variable */
{1181, 57, "unparsed", "2*x=40"}, /* variable */
{1190, 136, "unparsed", "B - 38 + 50 = B + 12"}, /* variable */
{1190, 281, "unparsed", "B + 12 - 28 = B - 16"}, /* variable */
{1190, 442, "unparsed", "B - 16 + 100 - 25 = B + 59"}, /* variable */
{1190, 522, "unparsed", "78 = B + 59"}, /* variable */
{1200, 28, "unparsed", "8+4*m=40"}, /* variable */
{1200, 37, "unparsed", "4*m=40-8"}, /* variable */
{1220, 97, "unparsed", "4x + x = 40"}, /* variable */
{1225, 505, "unparsed", "3c - 2 + c = 10"}, /* variable */
{1225, 554, "unparsed", "4c - 2 = 10"}, /* variable */
{1234, 82, "unparsed", "9 = (3/4)*"}, /* syntax */
{1245, 177, "unparsed", "s + 5s - 4 = 116"}, /* variable */
{1245, 224, "unparsed", "6s - 4 = 116"}, /* variable */
{1317, 149, "unparsed", "2C+80-4C=70"}, /* variable */
    /* clang-format on */
