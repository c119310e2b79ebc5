//! Hashed sparse features: a feature is a name ("w=farce", "rule=Doubt") hashed into a fixed
//! number of buckets, with a value.

/// FNV-1a: stable across runs and platforms, so saved weights stay valid.
pub fn hash(name: &str) -> u64 {
    hash_parts(&[name])
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The hash of the concatenated parts, without building the string.
pub fn hash_parts(parts: &[&str]) -> u64 {
    continue_hash(FNV_OFFSET, parts)
}

fn continue_hash(mut h: u64, parts: &[&str]) -> u64 {
    for part in parts {
        h = fnv(h, part.as_bytes());
    }
    h
}

/// FNV-1a from state `h` over `bytes`; `const` so that [`Prefix`]es hash at compile time.
const fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// A constant start of feature names ("w-1="), hashed at compile time: the hot features are a
/// short prefix and a word, so this spares a third of their hashing.
#[derive(Debug, Clone, Copy)]
pub struct Prefix {
    name: &'static str,
    state: u64,
}

impl Prefix {
    pub const fn new(name: &'static str) -> Prefix {
        Prefix {
            name,
            state: fnv(FNV_OFFSET, name.as_bytes()),
        }
    }
}

/// The features of one example: bucket indices and values, plus their names when explanations
/// are wanted.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub bits: u32,
    pub index: Vec<u32>,
    pub value: Vec<f32>,
    pub names: Option<Names>,
}

/// Feature names, kept for explanations: one string and the end of each name in it, so keeping
/// names costs a copy of a few bytes per feature, not an allocation.
#[derive(Debug, Clone, Default)]
pub struct Names {
    text: String,
    ends: Vec<usize>,
}

impl Names {
    /// Appends the name made of `parts`.
    pub fn push(&mut self, parts: &[&str]) {
        parts.iter().for_each(|p| self.text.push_str(p));
        self.ends.push(self.text.len());
    }

    /// The names in the order the features were added.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(a, &b)| &self.text[a..b])
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
}

impl Features {
    pub fn new(bits: u32, keep_names: bool) -> Self {
        Features {
            bits,
            // About what one token or span gets: no regrowth in the hot loops.
            index: Vec::with_capacity(64),
            value: Vec::with_capacity(64),
            names: keep_names.then(Names::default),
        }
    }

    /// Adds feature `name` with value `v`.
    pub fn add(&mut self, name: &str, v: f32) {
        let mask = (1u64 << self.bits) - 1;
        self.index.push((hash(name) & mask) as u32);
        self.value.push(v);
        if let Some(names) = &mut self.names {
            names.push(&[name]);
        }
    }

    /// Adds a binary feature built from a prefix and a value ("w=" + word).
    pub fn set(&mut self, prefix: &str, what: &str) {
        self.set_parts(&[prefix, what]);
    }

    /// Adds a binary feature named by the concatenated parts; allocates only to keep names.
    pub fn set_parts(&mut self, parts: &[&str]) {
        self.index.push(self.bucket(hash_parts(parts)));
        self.value.push(1.0);
        if let Some(names) = &mut self.names {
            names.push(parts);
        }
    }

    /// Adds the binary feature `prefix` + the parts: the same feature as [`Features::set_parts`]
    /// with the prefix as first part.
    pub fn set_prefixed(&mut self, prefix: &Prefix, parts: &[&str]) {
        self.index
            .push(self.bucket(continue_hash(prefix.state, parts)));
        self.value.push(1.0);
        if let Some(names) = &mut self.names {
            names.text.push_str(prefix.name);
            names.push(parts);
        }
    }

    /// The bucket of a hash for this feature vector's size.
    pub fn bucket(&self, hash: u64) -> u32 {
        (hash & ((1u64 << self.bits) - 1)) as u32
    }

    /// Adds an already hashed feature (see [`Features::bucket`]); `name` is kept when names are.
    pub fn add_bucket(&mut self, bucket: u32, value: f32, name: impl FnOnce() -> String) {
        self.index.push(bucket);
        self.value.push(value);
        if let Some(names) = &mut self.names {
            names.push(&[&name()]);
        }
    }

    /// Empties the vector for the next example, keeping its allocations.
    pub fn clear(&mut self) {
        self.index.clear();
        self.value.clear();
        if let Some(names) = &mut self.names {
            names.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_is_stable() {
        // Saved models depend on these values never changing.
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        let mut f = Features::new(10, true);
        f.set("w=", "farce");
        assert!(f.index[0] < 1024);
        fn names(f: &Features) -> Option<Vec<&str>> {
            f.names.as_ref().map(|n| n.iter().collect())
        }
        assert_eq!(names(&f), Some(vec!["w=farce"]));
        // A precomputed prefix names and hashes the same feature.
        f.set_prefixed(&Prefix::new("w="), &["far", "ce"]);
        assert_eq!(f.index[1], f.index[0]);
        f.set("shape=", "Xx");
        assert_eq!(names(&f), Some(vec!["w=farce", "w=farce", "shape=Xx"]));
    }
}
