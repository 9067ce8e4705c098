/* registry.c: the list of domains, and the item helpers of the kit
 * (domain.h). Adding a domain is one file and one line here. */
#include "tracefarm/domain.h"

#include <stdio.h>
#include <string.h>

extern const tf_domain tf_domain_maze;
extern const tf_domain tf_domain_arith;
extern const tf_domain tf_domain_blocksworld;

static const tf_domain *const domains[] = {&tf_domain_maze, &tf_domain_arith,
                                           &tf_domain_blocksworld, NULL};

const tf_domain *const *tf_domains(void)
{
    return domains;
}

const tf_domain *tf_domain_find(const char *name)
{
    for (int i = 0; name && domains[i]; i++)
        if (strcmp(domains[i]->name, name) == 0)
            return domains[i];
    return NULL;
}

void tf_domain_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; domains[i] && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", domains[i]->name);
        used += w > 0 ? (size_t)w : 0;
    }
}

int tf_item_add_str(cJSON *item, const char *key, const char *value)
{
    return value ? cJSON_AddStringToObject(item, key, value) != NULL
                 : cJSON_AddNullToObject(item, key) != NULL;
}

int tf_item_add_count(cJSON *item, const char *key, long value)
{
    return value >= 0 ? cJSON_AddNumberToObject(item, key, (double)value) != NULL
                      : cJSON_AddNullToObject(item, key) != NULL;
}
