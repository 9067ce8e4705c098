/* registry.c: the list of verifier domains. Adding a domain is one file
 * and one line here. */
#include "tracefarm/domain.h"

#include <string.h>

extern const tf_domain tf_domain_maze;

static const tf_domain *const domains[] = {&tf_domain_maze, NULL};

const tf_domain *tf_domain_find(const char *name)
{
    for (int i = 0; name && domains[i]; i++)
        if (strcmp(domains[i]->name, name) == 0)
            return domains[i];
    return NULL;
}

const char *tf_domain_names(void)
{
    return "maze";
}
