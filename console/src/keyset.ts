// A list of the API in keyset pages (docs/api.md: `limit`, `after`, and
// `next` in each answer), as the list pages load it: load() the first
// page, load(true) appends the next one (加载更多).  A failure is said in
// Chinese in `failed` (apiMessage), for the page's alert with its retry.
//
//   const { items, next, loading, failed, load } = keysetList<IssuedToken>("/api/v1/tokens");
//   onMounted(() => load());
import { ref, type Ref } from "vue";
import { http, query, type Page } from "./api";
import { apiMessage } from "./errors";

export function keysetList<T>(path: string, limit = 20) {
  const items = ref([]) as Ref<T[]>;
  const next = ref<string | null>(null);
  const loading = ref(false);
  const failed = ref("");

  async function load(more = false): Promise<void> {
    loading.value = true;
    failed.value = "";
    try {
      const p = await http.get<Page<T>>(path + query({ limit, after: more ? next.value : null }));
      items.value = more ? [...items.value, ...p.items] : p.items;
      next.value = p.next;
    } catch (e) {
      failed.value = apiMessage(e);
    } finally {
      loading.value = false;
    }
  }

  return { items, next, loading, failed, load };
}
