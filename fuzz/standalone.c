/*-------------------------------------------------------------------------
 *
 * standalone.c
 *		  A main() for the fuzz targets where libFuzzer is not available
 *		  (gcc, or clang without libclang-rt-14-dev).
 *
 *	 fuzz_body.gcc FILE...					run each input once (reproduce)
 *	 fuzz_body.gcc -max_total_time=S [-seed=N] [-artifact_prefix=P] DIR...
 *						mutate the inputs of DIR for S seconds
 *
 * The mutations are the simple ones (flip, set, insert, erase, duplicate a
 * run of bytes, splice two inputs); there is no coverage feedback, so this
 * is a smoke test, not a replacement for libFuzzer.  The sanitizers the
 * target was built with still catch what they catch, and a failed check
 * aborts.  Before each input runs it is written to <prefix>current, so that
 * after a crash that file is the input to reproduce with.  Prints libFuzzer's
 * "Done N runs in S second(s)" line at the end.
 *
 * IDENTIFICATION
 *		  fuzz/standalone.c
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SA_MAX_INPUT	(1 << 20)
#define MAX_CORPUS	4096

typedef struct Input
{
	uint8_t    *data;
	size_t		size;
} Input;

static Input corpus[MAX_CORPUS];
static int	ncorpus;
static const char *prefix = "./";
static uint64_t rng = 88172645463325252ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
read_file(const char *path, Input *in)
{
	FILE	   *f = fopen(path, "rb");
	long		n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || n > SA_MAX_INPUT)
	{
		fclose(f);
		return -1;
	}
	in->data = malloc(n ? n : 1);
	in->size = fread(in->data, 1, n, f);
	fclose(f);
	return 0;
}

static void
add_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode))
	{
		DIR		   *d = opendir(path);
		struct dirent *e;

		if (d == NULL)
			return;
		while ((e = readdir(d)) != NULL && ncorpus < MAX_CORPUS)
		{
			char		sub[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			add_path(sub);
		}
		closedir(d);
	}
	else if (ncorpus < MAX_CORPUS && read_file(path, &corpus[ncorpus]) == 0)
		ncorpus++;
}

static void
save_current(const uint8_t *data, size_t size)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%scurrent", prefix);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(data, 1, size, f);
	fclose(f);
}

/* One random mutation of buf (size *n, capacity cap). */
static void
mutate(uint8_t *buf, size_t *n, size_t cap)
{
	size_t		pos = *n ? next_rand() % *n : 0;
	size_t		len = 1 + next_rand() % 16;

	switch (next_rand() % 7)
	{
		case 0:				/* flip a bit */
			if (*n)
				buf[pos] ^= (uint8_t) (1u << (next_rand() % 8));
			break;
		case 1:				/* set a byte, often an interesting one */
			if (*n)
			{
				static const uint8_t special[] = {
					'"', '\\', '{', '}', '[', ']', ',', ':', '0', 'e', '-',
					'u', 0x00, 0x7f, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0,
					0xf4, 0xff,
				};

				buf[pos] = next_rand() % 2 ? (uint8_t) next_rand()
					: special[next_rand() % sizeof(special)];
			}
			break;
		case 2:				/* insert random bytes */
			if (*n + len <= cap)
			{
				memmove(buf + pos + len, buf + pos, *n - pos);
				for (size_t i = 0; i < len; i++)
					buf[pos + i] = (uint8_t) next_rand();
				*n += len;
			}
			break;
		case 3:				/* erase */
			if (pos + len <= *n)
			{
				memmove(buf + pos, buf + pos + len, *n - pos - len);
				*n -= len;
			}
			break;
		case 4:				/* duplicate a run */
			if (pos + len <= *n && *n + len <= cap)
			{
				memmove(buf + pos + len, buf + pos, *n - pos);
				*n += len;
			}
			break;
		case 5:				/* splice another input's tail */
			if (ncorpus > 0)
			{
				Input	   *o = &corpus[next_rand() % ncorpus];
				size_t		from = o->size ? next_rand() % o->size : 0;
				size_t		take = o->size - from;

				if (pos + take > cap)
					take = cap - pos;
				memcpy(buf + pos, o->data + from, take);
				*n = pos + take;
			}
			break;
		default:			/* a new header (the first bytes steer targets) */
			for (size_t i = 0; i < 4 && i < *n; i++)
				buf[i] = (uint8_t) next_rand();
			break;
	}
}

int
main(int argc, char **argv)
{
	long		max_time = 0;
	long		runs = 0;
	time_t		start = time(NULL);
	int			nfiles = 0;

	for (int i = 1; i < argc; i++)
	{
		if (strncmp(argv[i], "-max_total_time=", 16) == 0)
			max_time = atol(argv[i] + 16);
		else if (strncmp(argv[i], "-seed=", 6) == 0)
			rng = strtoull(argv[i] + 6, NULL, 10) | 1;
		else if (strncmp(argv[i], "-artifact_prefix=", 17) == 0)
			prefix = argv[i] + 17;
		else if (argv[i][0] == '-')
			;					/* other libFuzzer flags: ignored */
		else
		{
			add_path(argv[i]);
			nfiles++;
		}
	}
	if (nfiles == 0)
	{
		fprintf(stderr, "usage: %s [-max_total_time=S] [-seed=N] FILE|DIR...\n", argv[0]);
		return 2;
	}

	for (int i = 0; i < ncorpus; i++)
	{
		save_current(corpus[i].data, corpus[i].size);
		LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].size);
		runs++;
	}
	if (max_time > 0 && ncorpus > 0)
	{
		size_t		cap = 1 << 16;
		uint8_t    *buf = malloc(cap);

		while (time(NULL) - start < max_time)
		{
			Input	   *base = &corpus[next_rand() % ncorpus];
			size_t		n = base->size < cap ? base->size : cap;
			int			k = 1 + next_rand() % 4;
			uint8_t    *copy;

			memcpy(buf, base->data, n);
			for (int j = 0; j < k; j++)
				mutate(buf, &n, cap);
			/* an exact-size copy, so a read past the end is caught */
			copy = malloc(n ? n : 1);
			memcpy(copy, buf, n);
			save_current(copy, n);
			LLVMFuzzerTestOneInput(copy, n);
			free(copy);
			runs++;
		}
		free(buf);
	}
	printf("Done %ld runs in %ld second(s)\n", runs, (long) (time(NULL) - start));
	return 0;
}
